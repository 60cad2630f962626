"""What therapy will cost: payers' plans, benefits and fee schedules, the estimate, eligibility
(X12 270/271) and superbills."""
