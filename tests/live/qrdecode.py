"""A small QR decoder for the projector's code, independent of the library that drew it:
the SVG's path back to a module matrix, then the standard's own steps (ISO/IEC 18004):
format information (checked by its BCH code), unmasking, the zigzag read of the
codewords, de-interleaving the blocks, and the byte-mode segment. Versions 1–6 and no
damaged modules only: enough for a URL drawn by our server."""

from __future__ import annotations

import re

# (version, level) → (blocks, EC codewords per block); total codewords per version.
BLOCKS = {
    (1, "L"): (1, 7), (1, "M"): (1, 10), (1, "Q"): (1, 13), (1, "H"): (1, 17),
    (2, "L"): (1, 10), (2, "M"): (1, 16), (2, "Q"): (1, 22), (2, "H"): (1, 28),
    (3, "L"): (1, 15), (3, "M"): (1, 26), (3, "Q"): (2, 18), (3, "H"): (2, 22),
    (4, "L"): (1, 20), (4, "M"): (2, 18), (4, "Q"): (2, 26), (4, "H"): (4, 16),
    (5, "L"): (1, 26), (5, "M"): (2, 24), (5, "Q"): (4, 18), (5, "H"): (4, 22),
    (6, "L"): (2, 18), (6, "M"): (4, 16), (6, "Q"): (4, 24), (6, "H"): (4, 28),
}  # fmt: skip
TOTAL = {1: 26, 2: 44, 3: 70, 4: 100, 5: 134, 6: 172}
ALIGN = {2: 18, 3: 22, 4: 26, 5: 30, 6: 34}  # the one alignment pattern's centre
LEVELS = {1: "L", 0: "M", 3: "Q", 2: "H"}
MASKS = [
    lambda r, c: (r + c) % 2 == 0,
    lambda r, c: r % 2 == 0,
    lambda r, c: c % 3 == 0,
    lambda r, c: (r + c) % 3 == 0,
    lambda r, c: (r // 2 + c // 3) % 2 == 0,
    lambda r, c: (r * c) % 2 + (r * c) % 3 == 0,
    lambda r, c: ((r * c) % 2 + (r * c) % 3) % 2 == 0,
    lambda r, c: ((r + c) % 2 + (r * c) % 3) % 2 == 0,
]


def svg_matrix(svg: str) -> list[list[bool]]:
    """The dark modules of an SVG drawn as one path of horizontal strokes (M, m, h) in a
    viewBox with a quiet zone of four modules."""
    size = int(float(re.search(r'viewBox="0 0 ([\d.]+)', svg).group(1)))  # type: ignore[union-attr]
    path = re.findall(r'<path[^>]*stroke="[^"]+"[^>]*d="([^"]+)"', svg)[0]
    grid = [[False] * size for _ in range(size)]
    x = y = 0.0
    for op, a, b in re.findall(r"([Mmh])(-?[\d.]+)(?: (-?[\d.]+))?", path):
        if op == "M":
            x, y = float(a), float(b)
        elif op == "m":
            x, y = x + float(a), y + float(b)
        else:
            for k in range(int(float(a))):
                grid[int(y)][int(x) + k] = True
            x += float(a)
    border = 4
    return [row[border : size - border] for row in grid[border : size - border]]


def _function(n: int, version: int) -> list[list[bool]]:
    used = [[False] * n for _ in range(n)]
    for r0, c0 in ((0, 0), (0, n - 8), (n - 8, 0)):  # finders, separators, format info
        for r in range(r0, r0 + 8):
            for c in range(c0, c0 + 8):
                used[r][c] = True
    for k in range(n):
        used[6][k] = used[k][6] = True  # timing
        if k < 9 or k >= n - 8:
            used[8][k] = used[k][8] = True  # format information, the dark module
    if version >= 2:
        a = ALIGN[version]
        for r in range(a - 2, a + 3):
            for c in range(a - 2, a + 3):
                used[r][c] = True
    return used


def _bch_ok(bits: int) -> bool:
    data, remainder = bits >> 10, bits
    for shift in range(4, -1, -1):
        if remainder & (1 << (shift + 10)):
            remainder ^= 0x537 << shift
    return remainder == 0 and data < 32


def decode(grid: list[list[bool]]) -> str:
    n = len(grid)
    version = (n - 17) // 4
    assert 1 <= version <= 6 and n == 17 + 4 * version, f"unsupported size {n}"
    at = [(k, 8) for k in range(6)] + [(7, 8), (8, 8), (8, 7)] + [(8, 14 - k) for k in range(9, 15)]
    raw = sum(grid[r][c] << i for i, (r, c) in enumerate(at))
    assert _bch_ok(raw ^ 0x5412), "format information fails its BCH check"
    fmt = (raw ^ 0x5412) >> 10
    level, mask = LEVELS[fmt >> 3], MASKS[fmt & 7]
    used = _function(n, version)
    bits: list[int] = []
    right = n - 1
    while right >= 1:
        if right == 6:
            right = 5
        upward = ((right + 1) & 2) == 0
        for vert in range(n):
            r = n - 1 - vert if upward else vert
            for c in (right, right - 1):
                if not used[r][c]:
                    bits.append(int(grid[r][c] ^ mask(r, c)))
        right -= 2
    total = TOTAL[version]
    words = [int("".join(map(str, bits[8 * k : 8 * k + 8])), 2) for k in range(total)]
    blocks, ec = BLOCKS[(version, level)]
    short = blocks - total % blocks
    short_data = total // blocks - ec
    data_len = [short_data + (j >= short) for j in range(blocks)]
    chunks: list[list[int]] = [[] for _ in range(blocks)]
    k = 0
    for i in range(max(data_len)):
        for j in range(blocks):
            if i < data_len[j]:
                chunks[j].append(words[k])
                k += 1
    data = [w for chunk in chunks for w in chunk]
    stream = "".join(f"{w:08b}" for w in data)
    assert stream[:4] == "0100", "not a byte-mode segment"
    length = int(stream[4:12], 2)
    return bytes(int(stream[12 + 8 * k : 20 + 8 * k], 2) for k in range(length)).decode()


def decode_svg(svg: str) -> str:
    return decode(svg_matrix(svg))
