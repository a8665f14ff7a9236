"""An exercise's checks in a namespace's pods: on a cluster, or on Podman playing the export.

pods.py (the pods as the checks reach them, and the run, by `checks/schedule.py`'s rules),
probe_pod.py (labkit's probe as a Pod on a lab network), cluster.py (the Kubernetes API: the
only module that imports the `kubernetes` client), played.py (Podman's `kube play`).
"""

from toolkit.checks.kube.cluster import ClusterPods, run_checks_on_cluster
from toolkit.checks.kube.pods import PodFacts, Pods, run_checks_in_pods

__all__ = ["ClusterPods", "PodFacts", "Pods", "run_checks_in_pods", "run_checks_on_cluster"]
