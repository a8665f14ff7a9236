"""Exercise stacks: bring a Compose file's services up on an engine, check on them, take them down.

    compose/          the Compose loader: YAML in, the typed model out (load_stack)
    model.py          the typed model every other part works on
    plan.py           the order of creation: networks, volumes, services by dependency
    naming.py         engine-side names and labels of a project's resources (the one place)
    placement.py      which subnets a project's networks get; renumber.py rewrites addresses
    safety.py         what an exercise may ask of the host, and who must allow it
    orchestrator.py   `up`: converge the engine to the plan (scheduler.py starts services,
                      health.py waits for them, service_images.py makes their images first,
                      converge.py creates, removes and undoes)
    operations.py     `down`, `ps`, `logs`, `exec` on a running project, found by its labels
    describe.py, listing.py, gc.py, outcomes.py: what the CLI shows and cleans up

The package re-exports nothing eagerly: a command imports only the modules it uses, so that
`labkit ps` does not pay for what only `up` needs.
"""
