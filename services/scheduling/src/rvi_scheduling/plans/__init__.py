"""Day plans: the sites of an inspection ordered and timed in one day of the team (the Cixi case)."""
