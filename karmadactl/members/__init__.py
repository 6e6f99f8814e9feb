"""The only code of karmadactl that talks to member clusters.

kubeconfig: load and merge kubeconfigs as kubectl does; client: one client per
member (official kubernetes client underneath, imported lazily); status: the
Cluster status Karmada computes from a member's nodes and pods.
"""
