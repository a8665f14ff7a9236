"""The keys each part of a Compose file may hold: what labkit reads, and what it refuses by name.

The "unsupported" names are real Compose keys (from the Compose specification's schema):
labkit says it does not support them instead of calling them unknown.
"""

from __future__ import annotations

from toolkit.stack.compose.fields import keys

TOP_LEVEL = keys(
    "the top level",
    "name version services networks volumes secrets configs include",
    "models",
)

INCLUDE = keys("an include entry", "path project_directory env_file")

SERVICE = keys(
    "a service",
    "image build command entrypoint environment env_file hostname domainname networks dns "
    "extra_hosts cap_add cap_drop privileged sysctls volumes ports expose working_dir user "
    "init tty stdin_open labels healthcheck depends_on restart stop_grace_period pull_policy "
    "profiles ulimits mem_limit cpus pids_limit read_only tmpfs deploy network_mode pid ipc "
    "devices container_name stop_signal secrets configs dns_search dns_opt group_add shm_size "
    "mac_address platform develop extends links logging security_opt runtime",
    "annotations attach blkio_config cgroup cgroup_parent cpu_count "
    "cpu_percent cpu_period cpu_quota cpu_rt_period cpu_rt_runtime cpu_shares cpuset "
    "credential_spec device_cgroup_rules external_links "
    "gpus isolation label_file mem_reservation "
    "mem_swappiness memswap_limit models oom_kill_disable oom_score_adj post_start "
    "pre_stop provider pull_refresh_after scale "
    "storage_opt use_api_socket userns_mode uts volumes_from",
)

BUILD = keys(
    "a build",
    "context dockerfile args target dockerfile_inline labels platforms ssh entitlements privileged",
    "additional_contexts cache_from cache_to extra_hosts "
    "isolation network no_cache provenance pull sbom secrets "
    "shm_size ssh tags ulimits",
)

FILE_OBJECT = keys(
    "a secret or config",
    "file name",
    "environment content external labels driver driver_opts template_driver",
)
FILE_REFERENCE = keys("a service's secret or config", "source target", "uid gid mode")

HEALTHCHECK = keys("a healthcheck", "test interval timeout retries start_period start_interval disable")

DEPENDENCY = keys("a depends_on entry", "condition required restart")

SERVICE_NETWORK = keys(
    "a service's network",
    "ipv4_address aliases priority interface_name",
    "ipv6_address link_local_ips mac_address driver_opts gw_priority",
)

PORT = keys("a port", "target published host_ip protocol mode", "name app_protocol")

MOUNT = keys("a volume", "type source target read_only bind", "consistency volume tmpfs image")
BIND_OPTIONS = keys("bind options", "create_host_path", "propagation recursive selinux")

ULIMIT = keys("a ulimit", "soft hard")

DEPLOY = keys(
    "deploy",
    "resources restart_policy replicas",
    "endpoint_mode labels mode placement rollback_config update_config",
)
RESTART_POLICY = keys("deploy.restart_policy", "condition max_attempts", "delay window")
LOGGING = keys("logging", "driver options")
RESOURCES = keys("deploy.resources", "limits", "reservations")
LIMITS = keys("deploy.resources.limits", "cpus memory pids")

ENV_FILE = keys("an env_file entry", "path required", "format", extensions=False)

DEVICE = keys("a device", "source target permissions")

NETWORK = keys(
    "a network",
    "driver ipam internal labels external name",
    "attachable driver_opts enable_ipv4 enable_ipv6",
)
IPAM = keys("ipam", "config driver", "options")
IPAM_CONFIG = keys("an ipam config", "subnet gateway", "ip_range aux_addresses")

VOLUME = keys("a volume", "driver labels external name driver_opts")

EXERCISE = keys("x-labkit", "title description allow parameters probe_image checks solution")
PARAMETER = keys("a parameter", "generator network hosts within prefix range choices")
CHECK = keys(
    "a check",
    "name service probe run expect_exit expect_output timeout graded user points hint requires",
)
SOLUTION_STEP = keys("a solution step", "service run timeout user")
