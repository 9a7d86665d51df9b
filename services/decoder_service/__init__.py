"""The edge server: ``POST /v1/infer`` takes a STAE wire payload and answers with the top-k classes."""
