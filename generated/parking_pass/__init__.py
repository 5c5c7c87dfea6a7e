"""Generated evaluators of the `parking_pass` domain: `registration`."""
