"""The org model: state and behaviour with no Flask imports."""
