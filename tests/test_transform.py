"""Transform coding of weights: filter images, JPEG (per filter and tiled), the DCT codec, ANS streams."""

from __future__ import annotations

import io

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from PIL import Image
from scipy import fft

from compress.coding.intstream import ByteReader, ByteWriter, decode_groups, encode_groups
from compress.errors import CompressError
from compress.transform import dct, jpeg
from compress.transform.filters import filter_images, grid_for, tile, untile


def _filters(n: int = 12, seed: int = 0) -> np.ndarray:
    """(n, 784) smooth-ish 28x28 filters, like a first layer's receptive fields."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:28, :28] / 27.0
    base = np.stack([np.sin(3 * xx * (1 + i % 3) + yy * i) for i in range(n)])
    return (0.05 * base + 0.01 * rng.standard_normal((n, 28, 28))).reshape(n, 784).astype(np.float32)


# -- filter images -------------------------------------------------------------------------------

def test_filter_images_take_trailing_dimensions_only():
    assert filter_images(np.zeros((512, 784)), (28, 28)).shape == (512, 28, 28)
    assert filter_images(np.zeros((20, 3, 5, 5)), (5, 5)).shape == (60, 5, 5)
    with pytest.raises(CompressError, match=r"shape \(784, 512\), which cannot be tiled into 28x28"):
        filter_images(np.zeros((784, 512)), (28, 28), "w")  # divisible, but images would straddle rows
    with pytest.raises(CompressError, match="cannot be tiled"):
        filter_images(np.zeros(512), (28, 28))
    with pytest.raises(CompressError, match="two positive integers"):
        filter_images(np.zeros((2, 4)), (0, 4))


@given(st.integers(1, 40), st.integers(1, 6), st.integers(1, 6))
def test_tile_untile_round_trip(n, h, w):
    imgs = np.arange(n * h * w).reshape(n, h, w)
    rows, cols = grid_for(n)
    mosaic = tile(imgs)
    assert mosaic.shape == (rows * h, cols * w) and rows * cols >= n > (rows - 1) * cols
    assert np.array_equal(untile(mosaic, n, (h, w)), imgs)


# -- JPEG ----------------------------------------------------------------------------------------

def _decode_independently(files, shape):
    return [np.asarray(Image.open(io.BytesIO(f))) for f in files]


@pytest.mark.parametrize("layout,scale", [("filters", "filter"), ("tiled", "layer"), ("tiled", "filter")])
def test_jpeg_sizes_are_the_real_bytes_and_decode_back(layout, scale):
    w = _filters()
    enc = jpeg.encode_tensor(w, jpeg.JpegConfig(quality=20, layout=layout, scale=scale))
    assert enc.nbytes == sum(len(f) for f in enc.files) + 4 * enc.ranges.size
    assert len(enc.files) == (12 if layout == "filters" else 1)
    assert enc.ranges.shape == ((12, 2) if scale == "filter" else (1, 2))
    assert all(f[:2] == b"\xff\xd8" and f[-2:] == b"\xff\xd9" for f in enc.files)  # whole JPEG files
    rec = jpeg.decode_tensor(enc)
    assert rec.shape == w.shape and rec.dtype == np.float32
    # Decoding the files with Pillow directly and undoing the 8-bit map gives the same weights.
    pix = _decode_independently(enc.files, None)
    pix = np.stack(pix) if layout == "filters" else untile(pix[0], 12, (28, 28))
    lo, rng = enc.ranges[:, 0, None, None], enc.ranges[:, 1, None, None]
    assert np.array_equal(rec.reshape(12, 28, 28), (lo + pix.astype(np.float32) * (rng / np.float32(255))))
    # Lossy but close: quality 20 keeps the filters recognisable.
    assert np.sqrt(np.mean((rec - w) ** 2)) < 0.35 * np.sqrt(np.mean(w**2))


def test_jpeg_quality_trades_bytes_for_error_and_headers_dominate_small_files():
    w = _filters()
    lo = jpeg.encode_tensor(w, jpeg.JpegConfig(quality=5))
    hi = jpeg.encode_tensor(w, jpeg.JpegConfig(quality=95))
    err = lambda e: float(np.abs(jpeg.decode_tensor(e) - w).mean())  # noqa: E731
    assert lo.nbytes < hi.nbytes and err(lo) > err(hi)
    # Each 28x28 JPEG spends most of its bytes on headers (about 300 of them at these sizes).
    assert lo.header_bytes / len(lo.files) > 250 and lo.header_bytes > 0.6 * (lo.nbytes - 4 * lo.ranges.size)
    tiled = jpeg.encode_tensor(w, jpeg.JpegConfig(quality=5, layout="tiled", scale="layer"))
    assert tiled.nbytes < lo.nbytes / 2


def test_jpeg_constant_filter_is_exact():
    w = np.full((2, 784), 0.25, np.float32)
    assert np.array_equal(jpeg.decode_tensor(jpeg.encode_tensor(w)), w)


@pytest.mark.parametrize("quality", [0, 101, -5, 2.5, True])
def test_jpeg_quality_outside_1_to_100_is_a_clear_error(quality):
    with pytest.raises(CompressError, match="outside 1..100"):
        jpeg.JpegConfig(quality=quality)


def test_jpeg_refuses_untileable_and_nonfinite_tensors():
    with pytest.raises(CompressError, match=r"bias has shape \(512,\), which cannot be tiled"):
        jpeg.encode_tensor(np.zeros(512, np.float32), name="bias")
    bad = _filters()
    bad[0, 0] = np.inf
    with pytest.raises(CompressError, match="NaN/Inf"):
        jpeg.encode_tensor(bad)


# -- intstream ----------------------------------------------------------------------------------

@given(st.lists(st.integers(-(2**40), 2**40), max_size=20))
def test_varints_round_trip(ns):
    w = ByteWriter()
    for n in ns:
        w.signed(n)
        w.varint(abs(n))
    r = ByteReader(w.getvalue())
    assert [(r.signed(), r.varint()) for _ in ns] == [(n, abs(n)) for n in ns]
    assert r.at_end()


@given(st.lists(hnp.arrays(np.int64, st.integers(0, 300), elements=st.integers(-50, 50)), max_size=5))
def test_symbol_groups_round_trip_exactly(groups):
    w = ByteWriter()
    encode_groups(groups, w)
    data = w.getvalue()
    r = ByteReader(data)
    out = decode_groups(r)
    assert r.at_end() and len(out) == len(groups)
    for a, b in zip(groups, out):
        assert np.array_equal(a, b)


def test_ans_payload_is_near_the_entropy():
    rng = np.random.default_rng(0)
    g = np.minimum(rng.geometric(0.3, 100_000) - 1, 30)
    w = ByteWriter()
    encode_groups([g], w)
    p = np.bincount(g) / g.size
    h = -(p[p > 0] * np.log2(p[p > 0])).sum()
    assert len(w.getvalue()) * 8 < 1.01 * h * g.size + 8 * 200


def test_truncated_stream_is_a_clear_error():
    w = ByteWriter()
    encode_groups([np.arange(100) % 7], w)
    with pytest.raises(CompressError, match="ends early"):
        decode_groups(ByteReader(w.getvalue()[:-3]))


# -- DCT codec ----------------------------------------------------------------------------------

def _reference_dct(a: np.ndarray, step: float, b: int) -> np.ndarray:
    """Independent reference: matrix layout, flat table, shapes divisible by b (no padding)."""
    delta = np.float32(step * np.sqrt(np.mean(a.astype(np.float64) ** 2)))
    r, c = a.shape
    blocks = a.reshape(r // b, b, c // b, b).transpose(0, 2, 1, 3).astype(np.float64)
    q = np.rint(fft.dctn(blocks, axes=(2, 3), norm="ortho") / np.float64(delta))
    rec = fft.idctn(q * np.float64(delta), axes=(2, 3), norm="ortho")
    return rec.transpose(0, 2, 1, 3).reshape(r, c).astype(np.float32)


def test_dct_matches_an_independent_reference():
    a = np.random.default_rng(0).standard_normal((16, 24)).astype(np.float32)
    rec = dct.decode_tensor(dct.encode_tensor(a, dct.DctConfig(step=0.3, block=8)))
    assert np.array_equal(rec, _reference_dct(a, 0.3, 8))


@settings(max_examples=40)
@given(hnp.arrays(np.float32, hnp.array_shapes(min_dims=0, max_dims=4, max_side=9),
                  elements=st.floats(-4, 4, width=32)),
       st.sampled_from([1, 2, 3, 8]), st.sampled_from([0.01, 0.5, 3.0]))
def test_dct_round_trip_any_shape_and_error_bound(a, block, step):
    data = dct.encode_tensor(a, dct.DctConfig(step=step, block=block))
    rec = dct.decode_tensor(data)
    assert rec.shape == a.shape and rec.dtype == np.float32
    # Orthonormal DCT: the squared error is the coefficients' rounding error, at most (delta/2)^2
    # per coefficient, over at least as many coefficients as weights (padding only adds some).
    delta = float(dct.step_size(step, a))
    planes = dct._planes(a.astype(np.float64), (), "a")
    n_coef = dct._to_blocks(planes, dct.block_shape(planes.shape, block)).size
    err = np.sum((rec.astype(np.float64) - a) ** 2)
    assert err <= n_coef * (delta / 2) ** 2 * (1 + 1e-5) + a.size * 1e-12  # + float32 output rounding
    # The stream holds everything: decoding a copy of the bytes gives the same array.
    assert np.array_equal(dct.decode_tensor(bytes(bytearray(data))), rec)


def test_dct_network_stream_size_is_the_byte_count_and_layouts_agree_on_shape():
    arrays = [_filters(6), np.linspace(-1, 1, 6).astype(np.float32), np.ones((3, 2, 5, 5), np.float32)]
    for cfg in (dct.DctConfig(), dct.DctConfig(block=7, image_shape=(28, 28))):
        if cfg.image_shape:
            data = dct.encode_tensors(arrays[:1], cfg)
            out = dct.decode_tensors(data)
            assert out[0].shape == arrays[0].shape
            continue
        data = dct.encode_tensors(arrays, cfg)
        out = dct.decode_tensors(data)
        assert [o.shape for o in out] == [a.shape for a in arrays]
        assert len(data) == 1 + sum(len(dct.encode_tensor(a, cfg)) for a in arrays)
    zeros = np.zeros((3, 2, 5, 5), np.float32)
    assert np.array_equal(dct.decode_tensors(dct.encode_tensors([zeros]))[0], zeros)


def test_dct_bigger_steps_give_fewer_bytes_and_image_layout_helps_smooth_filters():
    w = _filters(32)
    sizes = [len(dct.encode_tensor(w, dct.DctConfig(step=s))) for s in (0.1, 0.5, 2.0)]
    assert sizes[0] > sizes[1] > sizes[2]
    flat_rows = len(dct.encode_tensor(w, dct.DctConfig(step=0.5, block=7)))
    images = len(dct.encode_tensor(w, dct.DctConfig(step=0.5, block=7, image_shape=(28, 28))))
    assert images < flat_rows


@pytest.mark.parametrize("kwargs,match", [
    ({"step": 0}, "DCT step 0 must be a positive finite number"),
    ({"step": float("nan")}, "positive finite"),
    ({"block": 0}, "block size 0 must be an integer in 1..64"),
    ({"table": "jpeg", "block": 4}, "the jpeg table is 8x8"),
    ({"table": "mpeg"}, "table 'mpeg' is not one of"),
    ({"image_shape": (28,)}, "two positive integers"),
])
def test_bad_dct_configs_are_clear_errors(kwargs, match):
    with pytest.raises(CompressError, match=match):
        dct.DctConfig(**kwargs)


def test_dct_refuses_empty_nonfinite_and_untileable():
    with pytest.raises(CompressError, match="empty"):
        dct.encode_tensor(np.zeros((0, 3)))
    with pytest.raises(CompressError, match="NaN/Inf"):
        dct.encode_tensor(np.array([1.0, np.nan]))
    with pytest.raises(CompressError, match="cannot be tiled"):
        dct.encode_tensor(np.zeros((3, 10)), dct.DctConfig(image_shape=(28, 28)))
    with pytest.raises(CompressError, match="left after the last tensor"):
        dct.decode_tensors(dct.encode_tensors([np.ones(3)]) + b"\x00")
