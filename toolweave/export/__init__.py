"""toolweave.export"""
