"""``stae-encoder`` / ``python -m encoder_service``: the camera-side service (needs no torch)."""

import sys

from service_common.serve import main

if __name__ == "__main__":
    sys.exit(main("encoder"))
