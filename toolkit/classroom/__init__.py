"""The class: each student's own variant of an exercise, the roster, and grading a whole class.

    secret.py    the course secret that makes students' values unguessable
    roster.py    the roster file: id, name, optional e-mail
    grading.py   bring a class up or down, check every student, the gradebook
    probe.py     the labkit-owned probe container that checks run from

A student's values themselves are derived where exercises are loaded (`stack/variants.py`,
through `course.load_exercise(..., student=, secret=)`). This package sits beside `checks/`
and uses it and `stack/`; only `cli/` imports it.
"""
