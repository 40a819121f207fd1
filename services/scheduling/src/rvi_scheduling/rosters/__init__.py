"""Officers, their credentials and availability, and team assignment (GACC-RVI 4(III))."""
