namespace Kfac.Rl.Environments;

/// <summary>
/// MinAtar Space Invaders (kenjyoung/MinAtar minatar/environments/space_invaders.py, transcribed rule by rule,
/// difficulty ramping on as MinAtar's default). Channels: cannon 0, alien 1, alien_left 2, alien_right 3,
/// friendly_bullet 4, enemy_bullet 5. Per step: the cannon fires (f, when the 5-step cool-down is over) or
/// moves; friendly bullets move up one row and enemy bullets down one (grid rolls, the wrapped row cleared); an
/// enemy bullet or alien on the cannon ends the game; every min(aliens, move interval) steps the aliens move
/// one column (or, at an edge, reverse and drop one row: ending the game when already on row 9); every 10
/// steps the alien nearest the cannon's column (ties to the lower column) fires from its lowest cell; a
/// friendly bullet on an alien removes both (+1 each). A cleared wave respawns (rows 0-3, columns 2-7) and the
/// move interval shrinks by one down to 6.
/// </summary>
public sealed class MinAtarSpaceInvaders : MinAtarEnvironment
{
    public const int ShotCoolDown = 5;
    public const int EnemyMoveInterval = 12;
    public const int EnemyShotInterval = 10;
    public const int CannonChannel = 0, AlienChannel = 1, AlienLeftChannel = 2, AlienRightChannel = 3, FriendlyBulletChannel = 4, EnemyBulletChannel = 5;

    private bool[,] _aliens = new bool[GridSize, GridSize];
    private bool[,] _friendly = new bool[GridSize, GridSize];
    private bool[,] _enemy = new bool[GridSize, GridSize];
    private bool[,] _scratch = new bool[GridSize, GridSize];

    public MinAtarSpaceInvaders(bool minimalActionSet = true, double stickyActionProbability = 0.1, bool ramping = true, int maxEpisodeSteps = 100_000)
        : base(minimalActionSet, stickyActionProbability, maxEpisodeSteps)
    {
        Ramping = ramping;
    }

    public override int Channels => 6;

    protected override char[] MinimalActions => ['n', 'l', 'r', 'f'];

    protected override string GameName => "SpaceInvaders";

    public bool Ramping { get; }
    public int Position { get; private set; }
    public int AlienDirection { get; private set; }
    public int MoveInterval { get; private set; }
    public int AlienMoveTimer { get; private set; }
    public int AlienShotTimer { get; private set; }
    public int RampIndex { get; private set; }
    public int ShotTimer { get; private set; }

    public bool Alien(int y, int x) => _aliens[y, x];
    public bool FriendlyBullet(int y, int x) => _friendly[y, x];
    public bool EnemyBullet(int y, int x) => _enemy[y, x];

    protected override void ResetCore()
    {
        Position = 5;
        Array.Clear(_friendly);
        Array.Clear(_enemy);
        Array.Clear(_aliens);
        SpawnWave();
        AlienDirection = -1;
        MoveInterval = EnemyMoveInterval;
        AlienMoveTimer = MoveInterval;
        AlienShotTimer = EnemyShotInterval;
        RampIndex = 0;
        ShotTimer = 0;
        IsTerminal = false;
    }

    private void SpawnWave()
    {
        for (int y = 0; y < 4; y++) for (int x = 2; x < 8; x++) _aliens[y, x] = true;
    }

    private static int Count(bool[,] map)
    {
        int n = 0;
        foreach (var b in map) if (b) n++;
        return n;
    }

    private static bool ColumnAny(bool[,] map, int x)
    {
        for (int y = 0; y < GridSize; y++) if (map[y, x]) return true;
        return false;
    }

    private static bool RowAny(bool[,] map, int y)
    {
        for (int x = 0; x < GridSize; x++) if (map[y, x]) return true;
        return false;
    }

    /// <summary>np.roll(map, shift, axis) into a fresh grid (swapped with the scratch buffer).</summary>
    private bool[,] Roll(bool[,] map, int shift, int axis)
    {
        var result = _scratch;
        for (int y = 0; y < GridSize; y++)
            for (int x = 0; x < GridSize; x++)
            {
                int ty = axis == 0 ? ((y + shift) % GridSize + GridSize) % GridSize : y;
                int tx = axis == 1 ? ((x + shift) % GridSize + GridSize) % GridSize : x;
                result[ty, tx] = map[y, x];
            }
        _scratch = map;
        return result;
    }

    protected override double Act(char a)
    {
        double r = 0;
        if (IsTerminal) return r;

        if (a == 'f' && ShotTimer == 0)
        {
            _friendly[9, Position] = true;
            ShotTimer = ShotCoolDown;
        }
        else if (a == 'l') Position = Math.Max(0, Position - 1);
        else if (a == 'r') Position = Math.Min(9, Position + 1);

        _friendly = Roll(_friendly, -1, 0);
        for (int x = 0; x < GridSize; x++) _friendly[9, x] = false;

        _enemy = Roll(_enemy, 1, 0);
        for (int x = 0; x < GridSize; x++) _enemy[0, x] = false;
        if (_enemy[9, Position]) IsTerminal = true;

        if (_aliens[9, Position]) IsTerminal = true;
        if (AlienMoveTimer == 0)
        {
            AlienMoveTimer = Math.Min(Count(_aliens), MoveInterval);
            if ((ColumnAny(_aliens, 0) && AlienDirection < 0) || (ColumnAny(_aliens, 9) && AlienDirection > 0))
            {
                AlienDirection = -AlienDirection;
                if (RowAny(_aliens, 9)) IsTerminal = true;
                _aliens = Roll(_aliens, 1, 0);
            }
            else
            {
                _aliens = Roll(_aliens, AlienDirection, 1);
            }
            if (_aliens[9, Position]) IsTerminal = true;
        }
        if (AlienShotTimer == 0)
        {
            AlienShotTimer = EnemyShotInterval;
            if (NearestAlien(Position) is (int ny, int nx)) _enemy[ny, nx] = true;
        }

        for (int y = 0; y < GridSize; y++)
            for (int x = 0; x < GridSize; x++)
                if (_aliens[y, x] && _friendly[y, x])
                {
                    r += 1;
                    _aliens[y, x] = false;
                    _friendly[y, x] = false;
                }

        if (ShotTimer > 0) ShotTimer--;
        AlienMoveTimer--;
        AlienShotTimer--;
        if (Count(_aliens) == 0)
        {
            if (MoveInterval > 6 && Ramping)
            {
                MoveInterval--;
                RampIndex++;
            }
            SpawnWave();
        }
        return r;
    }

    /// <summary>The lowest alien of the non-empty column nearest to <paramref name="pos"/> (a stable sort of the
    /// columns by |x - pos|, so ties go to the lower column), or null when there are no aliens.</summary>
    private (int Y, int X)? NearestAlien(int pos)
    {
        for (int d = 0; d < GridSize; d++)
        {
            // Lower column first: Python's stable sort by |x - pos| keeps the natural order within a tie.
            for (int side = 0; side < (d == 0 ? 1 : 2); side++)
            {
                int x = side == 0 ? pos - d : pos + d;
                if (x < 0 || x >= GridSize) continue;
                for (int y = GridSize - 1; y >= 0; y--)
                    if (_aliens[y, x]) return (y, x);
            }
        }
        return null;
    }

    protected override void Observe(Span<float> observation)
    {
        observation.Clear();
        Fill(observation, CannonChannel, 9, Position);
        int dirChannel = AlienDirection < 0 ? AlienLeftChannel : AlienRightChannel;
        for (int y = 0; y < GridSize; y++)
            for (int x = 0; x < GridSize; x++)
            {
                if (_aliens[y, x])
                {
                    Fill(observation, AlienChannel, y, x);
                    Fill(observation, dirChannel, y, x);
                }
                if (_friendly[y, x]) Fill(observation, FriendlyBulletChannel, y, x);
                if (_enemy[y, x]) Fill(observation, EnemyBulletChannel, y, x);
            }
    }
}
