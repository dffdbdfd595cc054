"""Every public name of ionopt.analysis resolves (the lazy table cannot rot silently)."""

import ionopt.analysis as analysis


def test_public_names_resolve():
    for name in analysis.__all__:
        assert callable(getattr(analysis, name)) or isinstance(getattr(analysis, name), type), name
