"""The controller: measured uplink bandwidth per camera, and the paper's eq. 5 over a profile table."""
