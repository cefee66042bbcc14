"""Zarr storage details of results stores: encodings, bit rounding, array creation, copies.

Encodings: the default stores every value as computed (lossless) with
blosc-zstd level 1 and byte shuffle (higher levels gain < 1 % on noisy float64 mantissas
at a 4x slower write); ``"compact"`` stores floats as float32 rounded to 12 mantissa bits
(relative error <= 2**-13 = 1.2e-4, well under the read noise) with blosc-zstd level 5,
about 3.5x smaller on disk. ``bench/bench_storage.py`` measures both. With zarr v3 each
simulate chunk is one shard of inner chunks of 8192 cells, so a single cell's trajectory is
read without decoding a whole shard.

Integrity: every stored chunk carries a crc32c checksum (the last codec of the zarr v3
pipeline; a CRC32C filter with zarr v2), shard indexes carry their own (zarr's default), and
every chunk is written even when it holds only fill values, so a store can be checked for
completeness: :func:`verify_store` compares each array with the schema recorded when the
store was created and finds missing, truncated or altered chunks.
"""
from __future__ import annotations

import dataclasses
import json
import pathlib
import warnings

import numpy as np

__all__ = ["Encoding", "ENCODINGS", "resolve_encoding", "bitround", "create_array", "save_dataset",
           "compressors_for", "consolidate", "copy_store", "stored_dtype", "array_schema",
           "store_schema", "verify_store", "writable"]

COMPRESSORS = ("blosc-zstd", "blosc-lz4", "zstd", "none")
#: largest inner chunk [bytes] before the read/step axis is split as well
MAX_CHUNK_BYTES = 64 * 2 ** 20


@dataclasses.dataclass(frozen=True)
class Encoding:
    """How recorded arrays are stored.

    Attributes
    ----------
    float_dtype : {None, "float32", "float64"}
        Storage dtype of floating-point variables; None keeps the computed dtype (lossless).
    keep_bits : int or None
        Mantissa bits kept by bit rounding (round to nearest even); None: no rounding. The
        relative error is at most 2**-(keep_bits + 1).
    compressor : {"blosc-zstd", "blosc-lz4", "zstd", "none"}
    clevel : int
        Compression level (1-9 for blosc, 1-22 for zstd).
    inner_devices : int
        Cells per zarr chunk (the inner chunk of a shard with zarr v3).
    """

    float_dtype: str | None = None
    keep_bits: int | None = None
    compressor: str = "blosc-zstd"
    clevel: int = 1
    inner_devices: int = 8192

    def __post_init__(self):
        if self.float_dtype not in (None, "float32", "float64"):
            raise ValueError(f"encoding float_dtype must be None, 'float32' or 'float64', got "
                             f"{self.float_dtype!r}")
        if self.compressor not in COMPRESSORS:
            raise ValueError(f"encoding compressor must be one of {', '.join(COMPRESSORS)}, "
                             f"got {self.compressor!r}")
        top = 22 if self.compressor == "zstd" else 9
        if isinstance(self.clevel, bool) or not isinstance(self.clevel, int) \
                or not 0 <= self.clevel <= top:
            raise ValueError(f"encoding clevel must be an integer in [0, {top}] for "
                             f"{self.compressor}, got {self.clevel!r}")
        if self.keep_bits is not None and (isinstance(self.keep_bits, bool) or
                                           not isinstance(self.keep_bits, int)
                                           or not 1 <= self.keep_bits <= 52):
            raise ValueError(f"encoding keep_bits must be None or an integer in [1, 52] "
                             f"(mantissa bits), got {self.keep_bits!r}")
        if isinstance(self.inner_devices, bool) or not isinstance(self.inner_devices, int) \
                or self.inner_devices < 1:
            raise ValueError(f"encoding inner_devices must be a positive integer, got "
                             f"{self.inner_devices!r}")

    @classmethod
    def lossless(cls):
        return cls()

    def dtype_for(self, dtype):
        """Storage dtype of a variable computed as ``dtype``."""
        dtype = np.dtype(dtype)
        if dtype.kind == "f" and self.float_dtype is not None:
            return np.dtype(self.float_dtype)
        return dtype

    def apply(self, values, stored):
        """Values as stored: cast to ``stored`` dtype, then bit-rounded (floats only)."""
        values = np.asarray(values)
        if values.dtype != stored:
            with np.errstate(over="ignore"):
                values = values.astype(stored)
        if stored.kind == "f" and self.keep_bits is not None:
            values = bitround(values, self.keep_bits)
        return values


#: named encodings; a dict may start from one with ``{"preset": "compact", ...}``
ENCODINGS = {"default": Encoding(), "lossless": Encoding(),
             "compact": Encoding(float_dtype="float32", keep_bits=12, clevel=5)}


def resolve_encoding(encoding):
    """An :class:`Encoding` from a preset name, a dict of its fields or an Encoding."""
    if isinstance(encoding, Encoding):
        return encoding
    if encoding is None:
        return ENCODINGS["default"]
    if isinstance(encoding, str):
        if encoding not in ENCODINGS:
            raise ValueError(f"unknown encoding {encoding!r}; valid: {', '.join(ENCODINGS)} "
                             "or a dict of Encoding fields")
        return ENCODINGS[encoding]
    if isinstance(encoding, dict):
        fields = dict(encoding)
        base = resolve_encoding(fields.pop("preset", "default"))
        valid = [f.name for f in dataclasses.fields(Encoding)]
        unknown = [k for k in fields if k not in valid]
        if unknown:
            raise ValueError(f"unknown encoding field(s) {unknown}; valid: preset, "
                             f"{', '.join(valid)}")
        return dataclasses.replace(base, **fields)
    raise TypeError(f"encoding must be a name, dict or Encoding, got {type(encoding).__name__}")


def bitround(values, keep_bits):
    """Round floats to ``keep_bits`` mantissa bits (round half to even); NaN/inf unchanged.

    Parameters
    ----------
    values : ndarray of float32 or float64
    keep_bits : int
        Mantissa bits kept (float32 has 23, float64 52).

    Returns
    -------
    ndarray
        Same dtype; ``|rounded - x| <= 2**-(keep_bits + 1) * |x|``. The dropped bits are
        zeros, which byte shuffling and compression turn into space savings.
    """
    values = np.asarray(values)
    mantissa = {4: 23, 8: 52}[values.dtype.itemsize]
    drop = mantissa - int(keep_bits)
    if drop <= 0:
        return values
    utype = np.uint32 if values.dtype.itemsize == 4 else np.uint64
    bits = np.ascontiguousarray(values).view(utype)
    one = utype(1)
    half_minus_one = utype((1 << (drop - 1)) - 1)
    odd = (bits >> utype(drop)) & one
    rounded = (bits + half_minus_one + odd) & ~utype((1 << drop) - 1)
    out = rounded.view(values.dtype)
    return np.where(np.isfinite(values), out, values)


def stored_dtype(encoding, dtype):
    return resolve_encoding(encoding).dtype_for(dtype)


def compressors_for(encoding, zarr_format, itemsize):
    """The zarr compressor list of an encoding for zarr v2 (numcodecs) or v3 codecs; with
    zarr v3 a crc32c checksum codec ends the list."""
    name, level = encoding.compressor, encoding.clevel
    if zarr_format == 2:
        import numcodecs

        if name == "none":
            return None
        if name == "zstd":
            return [numcodecs.Zstd(level=level)]
        return [numcodecs.Blosc(cname=name[6:], clevel=level, shuffle=numcodecs.Blosc.SHUFFLE)]
    from zarr.codecs import BloscCodec, Crc32cCodec, ZstdCodec

    if name == "none":
        return [Crc32cCodec()]
    if name == "zstd":
        return [ZstdCodec(level=level), Crc32cCodec()]
    return [BloscCodec(cname=name[6:], clevel=level, shuffle="shuffle", typesize=itemsize),
            Crc32cCodec()]


def _filters_for(zarr_format):
    """zarr v2 filters: a CRC32C checksum of each chunk (checked before decompression)."""
    if zarr_format != 2:
        return None
    import numcodecs

    return [numcodecs.CRC32C()]


def writable(arr):
    """``arr`` configured to write every chunk, fill-value-only chunks included (so that a
    missing chunk always means damage)."""
    return arr.with_config({"write_empty_chunks": True})


def _chunking(dims, shape, itemsize, encoding, chunk_devices, sharded):
    """(chunks, shards) of an array whose first dim is ``device``."""
    inner = encoding.inner_devices
    if chunk_devices % inner or inner > chunk_devices:
        inner = chunk_devices
    inner = max(1, min(inner, shape[0]))
    rest = [max(1, n) for n in shape[1:]]
    if rest and inner * rest[0] * itemsize > MAX_CHUNK_BYTES:
        rest[0] = max(1, MAX_CHUNK_BYTES // (inner * itemsize))
    chunks = (inner, *rest)
    if not sharded or inner >= min(chunk_devices, shape[0]):
        return chunks, None
    cols = [c * -(-max(n, 1) // c) for c, n in zip(rest, shape[1:])]
    return chunks, (chunk_devices, *cols)


def create_array(group, name, dims, shape, dtype, attrs, encoding, chunk_devices, sharding):
    """Create one xarray-compatible zarr array (dimension names, units, fill value).

    Parameters
    ----------
    group : zarr.Group
    name : str
    dims : tuple of str
    shape : tuple of int
    dtype : numpy.dtype
        Computed dtype; stored as ``encoding.dtype_for(dtype)``.
    attrs : dict
        ``units``, ``long_name`` (and ``coordinates``).
    encoding : Encoding
    chunk_devices : int
        Cells per writer region; each region covers whole chunks (and one shard).
    sharding : bool or None
        One shard per region (zarr v3 only); None: on for v3.
    """
    fmt = group.metadata.zarr_format
    if sharding and fmt == 2:
        raise ValueError("sharding needs zarr_format=3")
    stored = encoding.dtype_for(dtype)
    if dims and dims[0] == "device":
        chunks, shards = _chunking(dims, shape, stored.itemsize, encoding, chunk_devices,
                                   fmt == 3 and sharding is not False)
    else:
        chunks, shards = tuple(max(1, n) for n in shape), None
    if stored.kind == "f":
        fill = np.nan
    else:
        fill = None if fmt == 2 else stored.type(0)
    kwargs = ({"dimension_names": tuple(dims)} if fmt == 3
              else {"attributes": {"_ARRAY_DIMENSIONS": list(dims)}})
    arr = group.create_array(name, shape=shape, dtype=stored, chunks=chunks, shards=shards,
                             compressors=compressors_for(encoding, fmt, stored.itemsize),
                             filters=_filters_for(fmt), fill_value=fill,
                             config={"write_empty_chunks": True}, **kwargs)
    arr.attrs.update(attrs)
    return arr


def consolidate(path, group):
    """Write consolidated metadata (a derived index; pcmphys never relies on it)."""
    import zarr

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        zarr.consolidate_metadata(str(path), zarr_format=group.metadata.zarr_format)


def save_dataset(ds, path):
    """Write a small in-memory Dataset (a study's summary) to a zarr v3 store at ``path``,
    replacing what is there; returns the path.

    Zarr 3 warns about string coordinates (no spec for them yet) and consolidated metadata;
    both are expected for these stores, so the warnings are silenced here, in one place.
    The metadata is consolidated so that ``xarray.open_zarr`` opens the store directly.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*Zarr V3 specification.*")
        warnings.filterwarnings("ignore", message=".*[Cc]onsolidated metadata.*")
        ds.to_zarr(str(path), mode="w", zarr_format=3, consolidated=True)
    return path


def copy_store(src, dst, zarr_format, encoding=None):
    """Copy a complete results store region by region into a new store (see
    :func:`pcmphys.results.export_results`)."""
    import zarr

    source = zarr.open_group(str(src), mode="r", use_consolidated=False)
    attrs = dict(source.attrs)
    enc = resolve_encoding(encoding if encoding is not None
                           else json.loads(attrs.get("encoding", "{}")) or None)
    n, size = int(attrs["n_devices"]), int(attrs["chunk_devices"])
    attrs.update(complete=False, zarr_format=zarr_format,
                 encoding=json.dumps(dataclasses.asdict(enc)), exported_from=str(src))
    if "pcmphys_run" in attrs:
        run = json.loads(attrs["pcmphys_run"])
        run.update(zarr_format=zarr_format, encoding=dataclasses.asdict(enc))
        attrs["pcmphys_run"] = json.dumps(run)
    attrs.pop("pcmphys_schema", None)
    target = zarr.open_group(str(dst), mode="w", zarr_format=zarr_format, attributes=attrs)
    names = [k for k, _ in source.arrays()]
    for name in names:
        arr = source[name]
        dims = _dims_of(arr)
        meta = {k: v for k, v in arr.attrs.items() if k != "_ARRAY_DIMENSIONS"}
        is_data = dims[0] == "device" and name != "device"
        new = create_array(target, name, dims, arr.shape, arr.dtype, meta,
                           enc if is_data else Encoding.lossless(),
                           size if is_data else max(arr.shape[0], 1), None if is_data else False)
        if not is_data:
            new[...] = arr[...]
    n_chunks = -(-n // size)
    progress = target.require_group("_progress").create_array(
        "chunks", shape=(n_chunks,), chunks=(1,), dtype="u1", fill_value=0)
    for index in range(n_chunks):
        region = slice(index * size, min(n, (index + 1) * size))
        for name in names:
            if _dims_of(source[name])[0] == "device" and name != "device":
                writable(target[name])[region] = enc.apply(source[name][region],
                                                           target[name].dtype)
        progress[index] = 1
    target.attrs["pcmphys_schema"] = json.dumps(store_schema(target))
    target.attrs["complete"] = True
    consolidate(dst, target)
    return pathlib.Path(dst)


def _dims_of(arr):
    names = getattr(arr.metadata, "dimension_names", None)
    if names:
        return tuple(names)
    return tuple(arr.attrs.get("_ARRAY_DIMENSIONS", ()))


# ---------------------------------------------------------------------- integrity
def array_schema(arr):
    """What a stored array must keep: shape, dtype, dims, chunk and shard shape."""
    shards = getattr(arr, "shards", None)
    return {"shape": list(arr.shape), "dtype": np.dtype(arr.dtype).str, "dims": list(_dims_of(arr)),
            "chunks": list(arr.chunks), "shards": None if shards is None else list(shards)}


def store_schema(group):
    """``{array name: array_schema}`` of every array of a results group (progress marks
    included), recorded in the root attribute ``pcmphys_schema`` when a store is created."""
    out = {name: array_schema(arr) for name, arr in group.arrays()}
    if "_progress" in group:
        out["_progress/chunks"] = array_schema(group["_progress/chunks"])
    return out


def _corrupt(path, variable, chunk, why):
    from pcmphys.results import CorruptResultsError

    return CorruptResultsError(path, variable, chunk, why)


def _outer_grid(schema):
    outer = schema["shards"] or schema["chunks"]
    return [(-(-n // c) if n else 0) for n, c in zip(schema["shape"], outer)], outer


def _shard_index_problem(file, schema, coords):
    """Why the shard ``file`` is damaged, or None (reads only its index).

    The index of a zarr v3 shard ends the file: (offset, nbytes) as little-endian uint64 per
    inner chunk in C order, then the crc32c of those bytes. Every inner chunk inside the
    array's extent must be present and lie inside the file."""
    import google_crc32c

    inner, outer, shape = schema["chunks"], schema["shards"], schema["shape"]
    per = [o // c for o, c in zip(outer, inner)]
    n_inner = int(np.prod(per))
    size = 16 * n_inner + 4
    total = file.stat().st_size
    if total < size:
        return f"shard is {total} bytes, shorter than its index ({size} bytes)"
    with open(file, "rb") as handle:
        handle.seek(total - size)
        tail = handle.read(size)
    index, crc = tail[:-4], tail[-4:]
    if np.uint32(google_crc32c.value(index)).tobytes() != crc:
        return "shard index checksum does not match (truncated or altered shard)"
    entries = np.frombuffer(index, "<u8").reshape(n_inner, 2)
    empty = np.iinfo(np.uint64).max
    for flat, (offset, nbytes) in enumerate(entries):
        local = np.unravel_index(flat, per)
        start = [(c * p + k) * i for c, p, k, i in zip(coords, per, local, inner)]
        if any(s >= n for s, n in zip(start, shape)):
            continue  # beyond the array's extent: never written
        if offset == empty and nbytes == empty:
            return f"inner chunk {tuple(int(k) for k in local)} is missing"
        if int(offset) + int(nbytes) > total - size:
            return f"inner chunk {tuple(int(k) for k in local)} lies beyond the shard's data"
    return None


def verify_store(path, group, schema, level="cheap", written=None):
    """Raise :class:`~pcmphys.results.CorruptResultsError` unless the store matches ``schema``.

    Parameters
    ----------
    path : pathlib.Path
        Store directory.
    group : zarr.Group
        The store opened read-only.
    schema : dict
        :func:`store_schema` recorded at creation.
    level : {"cheap", "full"}
        "cheap": every array exists with its recorded shape, dtype, dims and chunking; every
        chunk (shard) file exists; every shard index is intact (checksum) and lists all its
        inner chunks. Costs one small read per shard. "full": also decodes every chunk, which
        checks each chunk's crc32c (reads the whole store once).
    written : (int, set of int), optional
        For an interrupted run: (cells per writer region, indices of the regions written);
        chunks of the other regions of arrays over ``device`` are not expected.
    """
    for name, want in schema.items():
        try:
            arr = group[name]
        except KeyError:
            raise _corrupt(path, name, None, "the array (or its metadata) is missing") from None
        have = array_schema(arr)
        differ = [k for k in want if want[k] != have.get(k)]
        if differ:
            detail = "; ".join(f"{k} {have.get(k)} instead of {want[k]}" for k in differ)
            raise _corrupt(path, name, None, f"its metadata was changed ({detail})")
        grid, outer = _outer_grid(want)
        base = pathlib.Path(path) / name
        by_device = bool(want["dims"]) and want["dims"][0] == "device" and name != "device"
        if written is not None and name.startswith("_progress"):
            continue  # progress marks of unwritten regions are absent (fill value)
        for coords in np.ndindex(*grid):
            if written is not None and by_device \
                    and coords[0] * outer[0] // written[0] not in written[1]:
                continue
            key = arr.metadata.encode_chunk_key(coords)
            file = base / key
            if not file.is_file():
                raise _corrupt(path, name, key, "the chunk file is missing")
            if want["shards"] is not None:
                problem = _shard_index_problem(file, want, coords)
                if problem:
                    raise _corrupt(path, name, key, problem)
            if level == "full":
                region = tuple(slice(c * o, (c + 1) * o) for c, o in zip(coords, outer))
                try:
                    arr[region]
                except Exception as exc:  # any decoding failure is damage to this chunk
                    raise _corrupt(path, name, key, f"it does not decode "
                                   f"({type(exc).__name__}: {exc})") from None
