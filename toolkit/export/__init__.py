"""Exports of an exercise to other orchestrators than a single engine.

kube/      plain Kubernetes manifests (Namespace, Multus networks, Pods, Jobs) and their
           play on Podman (`podman kube play`), for classes larger than one host
"""
