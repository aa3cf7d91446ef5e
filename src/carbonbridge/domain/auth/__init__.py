"""Who may act: principals, roles per jurisdiction, the access policy, second-factor and lockout rules."""
