from enum import StrEnum

class DecisionInfoMode(StrEnum):
    LOCAL = "local"
    OFFLOAD = "offload"

    def __str__(self) -> str:
        return str(self.value)
