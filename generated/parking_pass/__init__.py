"""Generated evaluators of the `parking_pass` domain:

- `benefit`
- `duplicate_registration`
- `push_registration`
- `registration`
- `termination`
"""
