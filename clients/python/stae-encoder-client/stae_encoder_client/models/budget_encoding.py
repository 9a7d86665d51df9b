from enum import StrEnum

class BudgetEncoding(StrEnum):
    H264 = "h264"
    LATENT = "latent"
    LOSSLESS = "lossless"

    def __str__(self) -> str:
        return str(self.value)
