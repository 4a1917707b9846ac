//! G.711 codec (being written).
