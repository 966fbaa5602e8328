"""toolweave.viewer"""
