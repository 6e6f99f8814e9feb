"""Well-known names: the labels, annotations, namespaces, API versions and field manager that
Karmada and karmadactl put on objects and look for. Pure; the standard library only.

Names that come from Karmada keep Karmada's spelling; the Go constant they mirror is named
beside each group. Names under karmadactl.io are karmadactl's own.
"""

from __future__ import annotations

# API versions (pkg/apis/*/v1alpha*/register.go)
POLICY_API_VERSION = "policy.karmada.io/v1alpha1"
WORK_API_VERSION = "work.karmada.io/v1alpha1"
BINDING_API_VERSION = "work.karmada.io/v1alpha2"
CLUSTER_API_VERSION = "cluster.karmada.io/v1alpha1"
KARMADACTL_API_VERSION = "karmadactl.io/v1alpha1"

# pkg/util/constants.go: ManagedByKarmadaLabel, PolicyPlacementAnnotation
MANAGED_LABEL = "karmada.io/managed"
APPLIED_PLACEMENT = "policy.karmada.io/applied-placement"
# pkg/apis/policy/v1alpha1/well_known_constants.go: AppliedOverrides, AppliedClusterOverrides
APPLIED_OVERRIDES = "policy.karmada.io/applied-overrides"
APPLIED_CLUSTER_OVERRIDES = "policy.karmada.io/applied-cluster-overrides"

# pkg/apis/policy/v1alpha1/well_known_constants.go: the claim a policy puts on its templates
PP_PERMANENT_ID = "propagationpolicy.karmada.io/permanent-id"
PP_NAME = "propagationpolicy.karmada.io/name"
PP_NAMESPACE = "propagationpolicy.karmada.io/namespace"
CPP_PERMANENT_ID = "clusterpropagationpolicy.karmada.io/permanent-id"
CPP_NAME = "clusterpropagationpolicy.karmada.io/name"

# pkg/apis/work/v1alpha2/well_known_constants.go: bindings, and what Works and pushed objects carry
RB_PERMANENT_ID = "resourcebinding.karmada.io/permanent-id"
CRB_PERMANENT_ID = "clusterresourcebinding.karmada.io/permanent-id"
RB_NAME = "resourcebinding.karmada.io/name"                   # ResourceBindingNameAnnotationKey
RB_NAMESPACE = "resourcebinding.karmada.io/namespace"         # ResourceBindingNamespaceAnnotationKey
CRB_NAME = "clusterresourcebinding.karmada.io/name"           # ClusterResourceBindingAnnotationKey
RB_DEPENDENCIES = "resourcebinding.karmada.io/dependencies"   # BindingDependenciesAnnotationKey
WORK_PERMANENT_ID = "work.karmada.io/permanent-id"
WORK_NAME = "work.karmada.io/name"                            # WorkNameLabel
WORK_NAMESPACE = "work.karmada.io/namespace"                  # WorkNamespaceLabel
CONFLICT_RESOLUTION = "work.karmada.io/conflict-resolution"   # ResourceConflictResolutionAnnotation
TEMPLATE_UID = "resourcetemplate.karmada.io/uid"              # ResourceTemplateUIDAnnotation
TEMPLATE_GENERATION = "resourcetemplate.karmada.io/generation"
MANAGED_LABELS = "resourcetemplate.karmada.io/managed-labels"
MANAGED_ANNOTATIONS = "resourcetemplate.karmada.io/managed-annotations"
RETAIN_REPLICAS = "resourcetemplate.karmada.io/retain-replicas"

# pkg/util/constants.go and pkg/apis/networking/v1alpha1/well_known_constants.go: multi-cluster services
SERVICE_NAME_LABEL = "kubernetes.io/service-name"                        # discoveryv1.LabelServiceName
SLICE_MANAGED_BY = "endpointslice.kubernetes.io/managed-by"             # discoveryv1.LabelManagedBy
KARMADA_SLICE_CONTROLLER = "endpointslice-controller.karmada.io"        # EndpointSliceControllerLabelValue
KARMADA_SLICE_DISPATCHER = "endpointslice-dispatch-controller.karmada.io"
EPS_SERVICE_NAME = "endpointslice.karmada.io/name"                      # ServiceNameLabel
EPS_SERVICE_NAMESPACE = "endpointslice.karmada.io/namespace"            # ServiceNamespaceLabel
EPS_WORK_MANAGED_BY = "endpointslice.karmada.io/managed-by"             # EndpointSliceWorkManagedByLabel
PROVISION_CLUSTER = "endpointslice.karmada.io/provision-cluster"        # EndpointSliceProvisionClusterAnnotation
CLAIMED_BY = "resourcetemplate.karmada.io/claimed-by"                   # ResourceTemplateClaimedByLabel
BINDING_MANAGED_BY = "binding.karmada.io/managed-by"                    # BindingManagedByLabel
MCS_PERMANENT_ID = "multiclusterservice.karmada.io/permanent-id"
MCS_NAME = "multiclusterservice.karmada.io/name"
MCS_NAMESPACE = "multiclusterservice.karmada.io/namespace"
EPS_CONTROLLER_FINALIZER = "karmada.io/endpointslice-controller"
MCS_DISPATCH_FINALIZER = "karmada.io/mcs-endpointslice-dispatch-controller"
MCS_FINALIZER = "karmada.io/multiclusterservice-controller"
EXECUTION_FINALIZER = "karmada.io/execution-controller"
BINDING_FINALIZER = "karmada.io/binding-controller"


def is_service_work(labels: dict[str, str] | None) -> bool:
    """A Work the multi-cluster service controllers write (collected EndpointSlices, a
    MultiClusterService's marker and dispatched copies), not one of a binding's."""
    labels = labels or {}
    return EPS_SERVICE_NAME in labels or EPS_WORK_MANAGED_BY in labels or MCS_NAME in labels


# pkg/util/names/names.go: reserved namespaces and the execution space of each member cluster
NAMESPACE_KARMADA_SYSTEM = "karmada-system"
NAMESPACE_KARMADA_CLUSTER = "karmada-cluster"
RESERVED_NAMESPACES = (NAMESPACE_KARMADA_SYSTEM, NAMESPACE_KARMADA_CLUSTER)
EXECUTION_NAMESPACE_PREFIX = "karmada-es-"

# karmadactl's own
FIELD_MANAGER = "karmadactl"                                  # server-side apply to members
ANNOTATION_KUBECONFIG = "karmadactl.io/kubeconfig"            # on a Cluster: the kubeconfig it was joined from
ANNOTATION_CONTEXT = "karmadactl.io/context"                  # on a Cluster: that kubeconfig's context
OVERRIDE_ERROR = "karmadactl.io/override-error"               # on a Work: why its overrides failed
PUSHED_HASH = "karmadactl.io/pushed-hash"                     # on a Work: the manifest its member last received
TEMPLATE_DIGEST = "karmadactl.io/template-digest"             # on a binding: the template a lazy policy saw
UNHEALTHY_SINCE = "karmadactl.io/unhealthy-since"             # on a binding: application failover timers
EVICTED_FROM = "karmadactl.io/evicted-from"                   # on a binding: clusters it was moved away from
HEALTH_PENDING = "karmadactl.io/health-pending"               # on a Cluster: a health change not yet settled


def execution_namespace(cluster: str) -> str:
    """karmada-es-<cluster>: where the Works of one member cluster live (GenerateExecutionSpaceName)."""
    return EXECUTION_NAMESPACE_PREFIX + cluster


def is_execution_namespace(namespace: str) -> bool:
    return namespace.startswith(EXECUTION_NAMESPACE_PREFIX)


def cluster_of_execution_namespace(namespace: str) -> str:
    """The member cluster of an execution namespace (GetClusterName); a namespace without the
    prefix comes back as it is."""
    return namespace.removeprefix(EXECUTION_NAMESPACE_PREFIX)


def is_reserved_namespace(namespace: str) -> bool:
    """karmada-system, karmada-cluster and karmada-es-*: no policy ever selects objects there.

    Karmada's names.IsReservedNamespace also counts kube-*; karmadactl skips those through the
    detector's default skipped namespaces instead, so a policy may still name them."""
    return namespace in RESERVED_NAMESPACES or is_execution_namespace(namespace)
