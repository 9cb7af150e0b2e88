//! Router ports and routes: which port a color arrives by and which ports it leaves by.

use std::fmt;

/// A router port.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Port {
    /// The link to this PE's own compute engine.
    Ramp,
    /// Toward row `y - 1`.
    North,
    /// Toward column `x + 1`.
    East,
    /// Toward row `y + 1`.
    South,
    /// Toward column `x - 1`.
    West,
}

impl Port {
    /// All five ports.
    pub const ALL: [Port; 5] = [Port::Ramp, Port::North, Port::East, Port::South, Port::West];

    pub(super) fn bit(self) -> u8 {
        1 << (self as u8)
    }

    pub(super) fn from_index(i: u8) -> Port {
        Port::ALL[usize::from(i) % 5]
    }

    /// The port on the neighbour that a wavelet leaving through `self` enters by.
    #[must_use]
    pub fn opposite(self) -> Port {
        match self {
            Port::Ramp => Port::Ramp,
            Port::North => Port::South,
            Port::South => Port::North,
            Port::East => Port::West,
            Port::West => Port::East,
        }
    }
}

impl fmt::Display for Port {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Port::Ramp => "ramp",
            Port::North => "N",
            Port::East => "E",
            Port::South => "S",
            Port::West => "W",
        })
    }
}

/// A set of ports, as a bit mask.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct PortSet(u8);

impl PortSet {
    /// No ports.
    pub const EMPTY: PortSet = PortSet(0);

    /// The set of the given ports.
    #[must_use]
    pub fn of(ports: &[Port]) -> PortSet {
        PortSet(ports.iter().fold(0, |m, p| m | p.bit()))
    }

    /// Whether `p` is in the set.
    #[must_use]
    pub fn contains(self, p: Port) -> bool {
        self.0 & p.bit() != 0
    }

    /// Ports in the set, in [`Port::ALL`] order.
    pub fn iter(self) -> impl Iterator<Item = Port> {
        Port::ALL.into_iter().filter(move |p| self.contains(*p))
    }

    /// Number of ports.
    #[must_use]
    pub fn len(self) -> u32 {
        self.0.count_ones()
    }

    /// Whether the set is empty.
    #[must_use]
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
}

/// The route of one color at one PE: receive from `rx`, transmit to every port of `tx`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Route {
    /// The one port this color is received from.
    pub rx: Port,
    /// The ports it is sent to (several: a multicast).
    pub tx: PortSet,
}
