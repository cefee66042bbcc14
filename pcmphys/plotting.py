"""Small plotting helpers shared by the study scripts (matplotlib is imported on use only)."""
from __future__ import annotations

__all__ = ["save_figure"]


def save_figure(fig, path, dpi=120):
    """Lay out ``fig``, write it to ``path`` (PNG by suffix), close it; returns ``path``."""
    import matplotlib.pyplot as plt

    fig.tight_layout()
    fig.savefig(path, dpi=dpi)
    plt.close(fig)
    return path
