"""Generated evaluators of the `pet_taxi` domain:

- `booking_request`
- `cancellation_fee`
- `cctv_retention`
- `cleaning_reimbursement`
- `dispatch_failure`
- `dormant_account`
- `driver_acceptance`
- `driver_no_show`
- `mate_eligibility`
- `mate_operation`
- `mate_review_period`
- `payment_method`
- `point_withdrawal`
- `ride_record_access`
- `settlement`
"""
