"""Generated evaluators of the `callbus` domain: `cancellation_penalty`, `suspension`."""
