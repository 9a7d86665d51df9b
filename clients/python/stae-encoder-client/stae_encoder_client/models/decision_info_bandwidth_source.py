from enum import StrEnum

class DecisionInfoBandwidthSource(StrEnum):
    MEASURED = "measured"
    PRIOR = "prior"

    def __str__(self) -> str:
        return str(self.value)
