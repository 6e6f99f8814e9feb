"""Per-kind knowledge of resource templates, as Karmada's resource interpreter has it.

replicas: how many replicas a workload asks for and what each replica needs
(InterpretReplica), and how to set a member's share (ReviseReplica). Pure.
"""
