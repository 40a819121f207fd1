"""The official working calendar (DOMAIN 9), office hours and the notice rule (GACC-RVI 4(I))."""
