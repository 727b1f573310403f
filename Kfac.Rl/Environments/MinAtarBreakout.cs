namespace Kfac.Rl.Environments;

/// <summary>
/// MinAtar Breakout (kenjyoung/MinAtar minatar/environments/breakout.py, transcribed rule by rule). Channels:
/// paddle 0, ball 1, trail 2 (the ball's previous cell), brick 3. The paddle on row 9 moves one cell per l / r;
/// the ball moves diagonally one cell per step (directions 0: up-left, 1: up-right, 2: down-right, 3:
/// down-left), reflects off the side walls and the top, breaks a brick it moves into (+1, reflected back to its
/// previous row; at most one brick per two consecutive steps, MinAtar's strike flag), and on reaching row 9
/// bounces off the paddle (straight back when the paddle is under its old column, sideways when under its new
/// one) or ends the game. Three rows of bricks (rows 1-3) are restored when the ball reaches the bottom with
/// none left. Start: ball at row 3, column 0 moving down-right or column 9 moving down-left (a fair coin),
/// paddle at column 4.
/// </summary>
public sealed class MinAtarBreakout : MinAtarEnvironment
{
    public const int PaddleChannel = 0, BallChannel = 1, TrailChannel = 2, BrickChannel = 3;

    private readonly bool[,] _bricks = new bool[GridSize, GridSize];

    public MinAtarBreakout(bool minimalActionSet = true, double stickyActionProbability = 0.1, int maxEpisodeSteps = 100_000)
        : base(minimalActionSet, stickyActionProbability, maxEpisodeSteps) { }

    public override int Channels => 4;

    protected override char[] MinimalActions => ['n', 'l', 'r'];

    protected override string GameName => "Breakout";

    public int BallX { get; private set; }
    public int BallY { get; private set; }
    public int BallDirection { get; private set; }
    public int Paddle { get; private set; }
    public int LastX { get; private set; }
    public int LastY { get; private set; }
    public bool Strike { get; private set; }

    public bool Brick(int y, int x) => _bricks[y, x];

    public int BrickCount()
    {
        int n = 0;
        foreach (var b in _bricks) if (b) n++;
        return n;
    }

    protected override void ResetCore()
    {
        BallY = 3;
        int start = Random.Next(2);
        (BallX, BallDirection) = start == 0 ? (0, 2) : (9, 3);
        Paddle = 4;
        Array.Clear(_bricks);
        for (int y = 1; y < 4; y++) for (int x = 0; x < GridSize; x++) _bricks[y, x] = true;
        Strike = false;
        LastX = BallX;
        LastY = BallY;
        IsTerminal = false;
    }

    protected override double Act(char a)
    {
        double r = 0;
        if (IsTerminal) return r;
        if (a == 'l') Paddle = Math.Max(0, Paddle - 1);
        else if (a == 'r') Paddle = Math.Min(9, Paddle + 1);

        LastX = BallX;
        LastY = BallY;
        int newX = BallDirection switch { 0 => BallX - 1, 1 => BallX + 1, 2 => BallX + 1, _ => BallX - 1 };
        int newY = BallDirection switch { 0 => BallY - 1, 1 => BallY - 1, 2 => BallY + 1, _ => BallY + 1 };

        bool strikeToggle = false;
        if (newX < 0 || newX > 9)
        {
            newX = Math.Clamp(newX, 0, 9);
            BallDirection = ReflectX[BallDirection];
        }
        if (newY < 0)
        {
            newY = 0;
            BallDirection = ReflectY[BallDirection];
        }
        else if (_bricks[newY, newX])
        {
            strikeToggle = true;
            if (!Strike)
            {
                r += 1;
                Strike = true;
                _bricks[newY, newX] = false;
                newY = LastY;
                BallDirection = ReflectY[BallDirection];
            }
        }
        else if (newY == 9)
        {
            if (BrickCount() == 0)
                for (int y = 1; y < 4; y++) for (int x = 0; x < GridSize; x++) _bricks[y, x] = true;
            if (BallX == Paddle)
            {
                BallDirection = ReflectY[BallDirection];
                newY = LastY;
            }
            else if (newX == Paddle)
            {
                BallDirection = ReflectBoth[BallDirection];
                newY = LastY;
            }
            else
            {
                IsTerminal = true;
            }
        }
        if (!strikeToggle) Strike = false;
        BallX = newX;
        BallY = newY;
        return r;
    }

    private static readonly int[] ReflectX = [1, 0, 3, 2];
    private static readonly int[] ReflectY = [3, 2, 1, 0];
    private static readonly int[] ReflectBoth = [2, 3, 0, 1];

    protected override void Observe(Span<float> observation)
    {
        observation.Clear();
        Fill(observation, BallChannel, BallY, BallX);
        Fill(observation, PaddleChannel, 9, Paddle);
        Fill(observation, TrailChannel, LastY, LastX);
        for (int y = 0; y < GridSize; y++)
            for (int x = 0; x < GridSize; x++)
                if (_bricks[y, x]) Fill(observation, BrickChannel, y, x);
    }
}
