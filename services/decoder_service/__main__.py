"""``stae-decoder`` / ``python -m decoder_service``: the edge-side service."""

import sys

from service_common.serve import main

if __name__ == "__main__":
    sys.exit(main("decoder"))
