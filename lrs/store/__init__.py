"""Storage behind one interface (:mod:`lrs.store.interface`)."""
