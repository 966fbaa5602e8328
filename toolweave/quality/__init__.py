"""toolweave.quality"""
