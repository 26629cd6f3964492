"""Regenerate the audio fixtures of the voice tests (needs ``espeak-ng`` on PATH; tests do not).

    .venv/bin/python tests/data/audio/make_fixtures.py

Speech comes from espeak-ng (English for tiny.en, ``-v fa`` Persian for the multilingual base),
encoded with PyAV to what Telegram sends: OGG/Opus voice notes, an MP3 and an M4A audio file, an MP4
video note. The bad inputs are made from those: a silent clip, a truncated and a garbled OGG, noise,
a tone "music" clip, and a text file.
"""

from __future__ import annotations

import io
import subprocess
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

HERE = Path(__file__).resolve().parent
RATE = 16_000
EN_TEXT = "Hello, the panel is down since yesterday. Please call me back."
FA_TEXT = "سلام، پنل من از دیروز قطع شده است. لطفاً با من تماس بگیرید."


def speak(text: str, voice: str, speed: int = 150) -> np.ndarray:
    wav = subprocess.run(  # noqa: S603 - fixed argv, text is ours
        ["espeak-ng", "-v", voice, "-s", str(speed), "--stdout", text],  # noqa: S607
        check=True,
        capture_output=True,
    ).stdout
    with av.open(io.BytesIO(wav)) as container:
        resampler = av.AudioResampler(format="flt", layout="mono", rate=RATE)
        frames = [
            out.to_ndarray().reshape(-1)
            for frame in container.decode(audio=0)
            for out in resampler.resample(frame)
        ]
    return np.concatenate(frames).astype(np.float32)


def encode(samples: np.ndarray, fmt: str, codec: str, rate: int = RATE, *, video: bool = False) -> bytes:
    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format=fmt) as out:
        if video:
            picture = out.add_stream("mpeg4", rate=10)
            picture.width, picture.height, picture.pix_fmt = 64, 64, "yuv420p"
        stream = out.add_stream(codec, rate=rate)
        stream.layout = "mono"
        stream.bit_rate = 24_000
        pcm = (samples * 32767).clip(-32768, 32767).astype(np.int16)
        frame = av.AudioFrame.from_ndarray(pcm.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = RATE
        frame.time_base = Fraction(1, RATE)
        frame.pts = 0
        resampler = av.AudioResampler(format=stream.format.name, layout="mono", rate=rate)
        packets = [p for f in resampler.resample(frame) for p in stream.encode(f)]
        packets += list(stream.encode(None))
        if video:
            seconds = len(samples) / RATE
            for index in range(int(seconds * 10)):
                image = np.full((64, 64, 3), (index * 7) % 255, dtype=np.uint8)
                vf = av.VideoFrame.from_ndarray(image, format="rgb24")
                vf.pts = index
                out.mux(picture.encode(vf))
            out.mux(picture.encode(None))
        out.mux(packets)
    return buffer.getvalue()


def ogg(samples: np.ndarray) -> bytes:
    return encode(samples, "ogg", "libopus", 48_000)


# The Persian evaluation set of bench_voice: things representatives say in voice notes.
BENCH_FA = [
    "سلام، پنل من از دیروز قطع شده است.",
    "کاربران من نمی‌توانند به سرور وصل شوند.",
    "لطفاً سرویس مرا تمدید کنید.",
    "پرداخت را امروز انجام دادم.",
    "سرعت اینترنت خیلی پایین است.",
    "کانفیگ جدید را برایم بفرستید.",
    "چند کاربر جدید می‌خواهم اضافه کنم.",
    "قیمت پلن‌ها خیلی گران شده است.",
    "مشتری‌ها از قطعی شکایت دارند.",
    "فردا با شما تماس می‌گیرم.",
    "فاکتور این ماه را هنوز ندیده‌ام.",
    "حساب من مسدود شده است.",
    "لطفاً وضعیت تیکت مرا پیگیری کنید.",
    "از پشتیبانی شما خیلی راضی هستم.",
    "سرور آلمان کار نمی‌کند.",
    "می‌خواهم پلن خودم را ارتقا بدهم.",
    "رمز عبور پنل را فراموش کرده‌ام.",
    "کارت به کارت انجام شد.",
    "این هفته فروشم خیلی کم بود.",
    "لطفاً زودتر جواب بدهید.",
    "اتصال روی همراه اول مشکل دارد.",
    "تعداد کاربران فعال کم شده است.",
    "هزینه را تا آخر هفته واریز می‌کنم.",
    "ممنون از راهنمایی شما.",
]


def bench_set() -> None:
    """``bench_fa/NN.ogg`` and ``bench_fa/references.tsv`` (file, reference text)."""
    folder = HERE / "bench_fa"
    folder.mkdir(exist_ok=True)
    lines = []
    for index, text in enumerate(BENCH_FA, start=1):
        name = f"{index:02d}.ogg"
        (folder / name).write_bytes(ogg(speak(text, "fa")))
        lines.append(f"{name}\t{text}")
    (folder / "references.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    size = sum(p.stat().st_size for p in folder.iterdir())
    print(f"bench_fa/: {len(BENCH_FA)} clips, {size} bytes")


def main() -> None:
    rng = np.random.default_rng(7)
    english = speak(EN_TEXT, "en-us")
    persian = speak(FA_TEXT, "fa")
    pause = np.zeros(RATE // 2, dtype=np.float32)
    files = {
        "en_speech.ogg": ogg(np.concatenate([pause, english, pause])),
        "fa_speech.ogg": ogg(np.concatenate([pause, persian, pause])),
        "en_speech.mp3": encode(english, "mp3", "libmp3lame", 16_000),
        "en_speech.m4a": encode(english, "ipod", "aac", 16_000),
        "en_video_note.mp4": encode(english, "mp4", "aac", 16_000, video=True),
        "silence.ogg": ogg(np.zeros(RATE * 3, dtype=np.float32)),
        "noise.ogg": ogg((rng.standard_normal(RATE * 4) * 0.05).astype(np.float32)),
    }
    t = np.arange(RATE * 4) / RATE
    chord = sum(np.sin(2 * np.pi * f * t) for f in (220.0, 277.2, 329.6)) * 0.15
    beat = (np.sin(2 * np.pi * 2 * t) > 0).astype(np.float32) * 0.5 + 0.5
    files["music.ogg"] = ogg((chord * beat).astype(np.float32))
    speech = files["fa_speech.ogg"]
    files["truncated.ogg"] = speech[: len(speech) // 3]
    garbled = bytearray(speech)
    garbled[200:] = rng.integers(0, 256, len(garbled) - 200, dtype=np.uint8).tobytes()
    files["garbled.ogg"] = bytes(garbled)
    files["not_audio.txt"] = "این یک فایل متنی است، نه صدا.\n".encode() * 20
    for name, data in files.items():
        (HERE / name).write_bytes(data)
        print(f"{name}: {len(data)} bytes")
    bench_set()


if __name__ == "__main__":
    main()
