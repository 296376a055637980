"""The season around the rounds: a needs survey that becomes a round, and seed
lent from the solidarity fund, repaid after the harvest (in cash, in kind into
the group's seed stock, or from her next sales payout)."""
