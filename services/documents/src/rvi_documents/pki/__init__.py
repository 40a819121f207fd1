"""Keys, certificates, signers and time-stamps of the documents service (GACC-RVI 4(IV))."""
