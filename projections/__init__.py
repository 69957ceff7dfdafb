"""Read models folded from the events (quotas, seniority, demande, vacance): next issue."""
