"""`carbonbridge demo`: a synthetic (clearly fictitious) compliance year for BY and CN, run through
the product's use cases. A package of its own: it depends on `carbonbridge`, never the other way."""
