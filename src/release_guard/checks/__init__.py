"""Pure decisions: each check is a function from plain facts to a list of findings."""
