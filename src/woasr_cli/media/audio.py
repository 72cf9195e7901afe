"""The one audio representation every engine and processing step takes: 16 kHz mono float32."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

SAMPLE_RATE = 16000
Audio = npt.NDArray[np.float32]
