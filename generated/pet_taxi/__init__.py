"""Generated evaluators of the `pet_taxi` domain: `cancellation_fee`."""
