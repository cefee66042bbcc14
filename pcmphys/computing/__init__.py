"""Computing on simulated cells: crossbars, solvers, correlation detection, network training.

This layer sits on top of the cells (:class:`pcmphys.Population` and the statistical mode) and
the runs that drive them. Each module uses cells only through their public API, so every
algorithm here runs on physical and statistical cells and on every backend.

- :mod:`pcmphys.computing.crossbar`: differential-pair crossbar arrays (MVM, programming).
- :mod:`pcmphys.computing.solvers`: mixed-precision iterative refinement on a crossbar.
- :mod:`pcmphys.computing.correlation`: temporal-correlation detection with accumulative cells.
- :mod:`pcmphys.computing.detection`: ROC and threshold statistics shared by the detectors.
- :mod:`pcmphys.computing.training`: fully-connected networks trained on crossbars of cells
  (PCM pairs, 2T1C+PCM, mixed precision, multi-PCM).
- :mod:`pcmphys.computing.snn`: spiking networks with STDP synapses of cells (unsupervised
  digit learning).
- :mod:`pcmphys.computing.datasets`: local image data for the learning studies.
"""
