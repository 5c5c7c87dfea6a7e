"""Generated evaluators of the `jeju_rentcar` domain: `cancellation_fee`."""
