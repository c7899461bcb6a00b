"""What the team sees first: this week across all engagements."""
