"""Generated evaluators of the `jeju_rentcar` domain:

- `booking_request`
- `cancel_channel`
- `cancellation_fee`
- `care_plus`
- `cdw_claim`
- `change_request`
- `driver_eligibility`
- `flight_cancellation_refund`
- `fuel`
- `partner_discount`
- `refund_deadline`
- `rental_period`
- `welcome_coupon`
"""
