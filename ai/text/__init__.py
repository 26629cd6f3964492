"""Persian text utilities shared by every layer: normalisation, search folding, digits, phones."""
