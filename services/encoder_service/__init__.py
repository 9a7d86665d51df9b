"""The camera side: ``POST /recognize`` compresses a clip with FA and SA and offloads it to the decoder."""
