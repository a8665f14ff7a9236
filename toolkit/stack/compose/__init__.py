"""The Compose loader: a Compose file (with its x-labkit section) in, a typed `Stack` out.

One entry point, `load_stack(path)`. This package is the only code that sees raw YAML; it
depends on nothing above the model (`toolkit.stack.model`) and the names of `toolkit.stack.naming`
(the one rule for project names, the default network). Every problem it finds is one
`ConfigError` naming the file, the line and the key path.

    loader.py         read -> interpolate -> extends -> include -> read each part
                      -> cross-checks -> profiles -> Stack
    extends.py        services built on others (merge.py: Compose's merge rules)
    include.py        other Compose files joined, each from its own project directory
    profiles.py       which services the enabled profiles keep; links.py, `links`
    yaml_source.py    YAML into nodes that remember their lines (no Python objects built)
    scalars.py        scalars typed as Compose's YAML library types them
    fields.py         typed readers over the nodes; keys.py, what each part may hold
    interpolate.py    ${VAR} substitution; dotenv.py, .env and env_file files
    services.py       one service, from its parts: build, environment, healthcheck, mounts,
                      ports, resources, service_network
    declared.py       top-level networks and volumes; exercise.py, the x-labkit section
    paths.py          host paths resolved from the file's folder and kept inside it
    units.py          durations and byte sizes as Compose reads them
    cross_checks.py   checks across the whole file, once every part is read
"""

from toolkit.stack.compose.loader import load_stack, normalise_project_name

__all__ = ["load_stack", "normalise_project_name"]
