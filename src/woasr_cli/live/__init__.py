"""Live transcription: audio arriving in real time in, partial and committed text out.

::

    from woasr_cli.live import StreamProcessor, open_processor
    processor = open_processor(TranscribeOptions(model="tiny.en"))
    for block in blocks:                      # 16 kHz mono float32, any size
        for event in processor.feed(block):   # StreamEvent: partial / final
            ...
    events = processor.finish()               # the tail, committed

Only the processor and its events are imported here; sources, writers and the WebSocket route
load their own dependencies when used.
"""

from woasr_cli.live.events import StreamEvent
from woasr_cli.live.processor import StreamConfig, StreamProcessor
from woasr_cli.live.setup import live_options, open_processor

__all__ = ["StreamConfig", "StreamEvent", "StreamProcessor", "live_options", "open_processor"]
