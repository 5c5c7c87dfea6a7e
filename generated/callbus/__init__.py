"""Generated evaluators of the `callbus` domain:

- `cancel_allowed`
- `cancellation_penalty`
- `penalty_waiver`
- `suspension`
"""
